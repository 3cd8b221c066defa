// Label and field selectors of the simulated API server, against a model of the documented semantics.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ApiError } from '../../sim/kube-api/errors.ts';
import { matchesFields, matchesLabelSelector, matchesRequirements, parseFieldSelector, parseLabelSelector } from '../../sim/kube-api/selectors.ts';

const keys = ['app', 'tier', 'flatcar-linux-update.v1.flatcar-linux.net/id'];
const values = ['web', 'db', 'x'];
const labels = fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...values), { noNullPrototype: true });

type Term = { key: string; op: '=' | '!=' | 'in' | 'notin' | 'exists' | '!'; values: string[] };
const term: fc.Arbitrary<Term> = fc.record({
  key: fc.constantFrom(...keys),
  op: fc.constantFrom('=', '!=', 'in', 'notin', 'exists', '!'),
  values: fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 3 }),
}, { noNullPrototype: true }) as fc.Arbitrary<Term>;

function render(t: Term): string {
  switch (t.op) {
    case '=': case '!=': return `${t.key}${t.op}${t.values[0]}`;
    case 'in': case 'notin': return `${t.key} ${t.op} (${t.values.join(',')})`;
    case 'exists': return t.key;
    case '!': return `!${t.key}`;
  }
}

function model(t: Term, l: Record<string, string>): boolean {
  const has = Object.hasOwn(l, t.key);
  const v = l[t.key];
  switch (t.op) {
    case '=': return v === t.values[0];
    case '!=': return v !== t.values[0];
    case 'in': return has && t.values.includes(v as string);
    case 'notin': return !has || !t.values.includes(v as string);
    case 'exists': return has;
    case '!': return !has;
  }
}

describe('label selectors', () => {
  it('a comma-joined selector matches exactly when every term does (=, !=, in, notin, exists, !)', () => {
    fc.assert(fc.property(fc.array(term, { minLength: 1, maxLength: 4 }), labels, (terms, l) => {
      const parsed = parseLabelSelector(terms.map(render).join(','));
      assert.equal(matchesRequirements(parsed, l), terms.every((t) => model(t, l)));
    }));
  });

  it('the LabelSelector object form agrees with the string form', () => {
    fc.assert(fc.property(fc.array(term.filter((t) => t.op !== '=' && t.op !== '!='), { maxLength: 3 }), labels, (terms, l) => {
      const operator = { in: 'In', notin: 'NotIn', exists: 'Exists', '!': 'DoesNotExist' } as const;
      const sel = { matchExpressions: terms.map((t) => ({ key: t.key, operator: operator[t.op as keyof typeof operator], values: t.op === 'in' || t.op === 'notin' ? t.values : [] })) };
      assert.equal(matchesLabelSelector(sel, l), terms.every((t) => model(t, l)));
    }));
  });

  it('rejects malformed selectors with a 400 BadRequest', () => {
    for (const bad of ['app in web', 'a b c', '=x', 'app=-bad-']) {
      assert.throws(() => parseLabelSelector(bad), (e: unknown) => e instanceof ApiError && e.code === 400, bad);
    }
  });
});

describe('field selectors', () => {
  const pod = { metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } };
  it('supports the pod fields drain and the kubelet use, with = == and !=', () => {
    assert.ok(matchesFields(parseFieldSelector('spec.nodeName=n1', 'Pod'), pod));
    assert.ok(matchesFields(parseFieldSelector('spec.nodeName==n1,metadata.namespace=ns', 'Pod'), pod));
    assert.ok(!matchesFields(parseFieldSelector('spec.nodeName!=n1', 'Pod'), pod));
    assert.ok(matchesFields(parseFieldSelector('metadata.name=p,status.phase!=Succeeded', 'Pod'), pod));
    assert.ok(matchesFields(parseFieldSelector('spec.nodeName=', 'Pod'), { metadata: { name: 'q' }, spec: {} }), 'empty value selects unscheduled pods');
  });
  it('rejects fields the kind does not index', () => {
    assert.throws(() => parseFieldSelector('spec.nodeName=n1', 'ConfigMap'), (e: unknown) => e instanceof ApiError && e.message === 'field label not supported: spec.nodeName');
  });
});
