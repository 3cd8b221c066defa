import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';

// Electronegativity (Doyensec's Electron security scanner) over the Electron main process, the preload and the
// renderer's index.html. Every HIGH or MEDIUM finding must be explained in the allowlist next to this file.

const root = new URL('../../', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const scanner = require.resolve('@doyensec/electronegativity/dist/index.js');
const electronVersion = (JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version;

const Allowlist = z.array(z.object({ check: z.string().min(1), file: z.string().min(1), reason: z.string().min(40) }));
const allowlist = Allowlist.parse(JSON.parse(readFileSync(new URL('./electronegativity-allowlist.json', import.meta.url), 'utf8')));

// A deliberately insecure window, scanned alongside: proves the scanner ran and parsed TypeScript.
const canaryFile = 'canary-insecure-window.ts';
const canary = `import { BrowserWindow } from 'electron';
export const w = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false } });
`;

interface Finding {
  check: string;
  severity: string;
  confidence: string;
  file: string;
  location: string;
  description: string;
}

/** Splits one line of the scanner's CSV (double-quoted fields, "" escapes). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '"' && line[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (c === ',' && !quoted) {
      fields.push(field.trim());
      field = '';
    } else {
      field += c;
    }
  }
  fields.push(field.trim());
  return fields;
}

describe('Electronegativity', () => {
  let dir: string;
  let reportDir: string;
  let findings: Finding[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'flatdeck-electronegativity-'));
    reportDir = mkdtempSync(join(tmpdir(), 'flatdeck-electronegativity-report-'));
    const electronDir = join(root, 'main/electron');
    for (const name of readdirSync(electronDir).filter((n) => n.endsWith('.ts'))) {
      copyFileSync(join(electronDir, name), join(dir, name));
    }
    if (existsSync(join(root, 'renderer/index.html'))) copyFileSync(join(root, 'renderer/index.html'), join(dir, 'index.html'));
    writeFileSync(join(dir, canaryFile), canary);
    const out = join(reportDir, 'findings.csv');
    const run = spawnSync(process.execPath, [scanner, '-i', dir, '-o', out, '-e', electronVersion, '-r', '-v', 'false'], {
      encoding: 'utf8',
      timeout: 180_000,
    });
    assert.ok(existsSync(out), `electronegativity wrote no report (exit ${run.status}): ${run.stderr}`);
    const [header, ...rows] = readFileSync(out, 'utf8').split(/\r?\n/).filter(Boolean);
    assert.match(header ?? '', /^issue, severity, confidence, filename, location/);
    findings = rows.map((row) => {
      const [check = '', severity = '', confidence = '', file = '', location = '', , description = ''] = csvFields(row);
      return { check, severity, confidence, file, location, description };
    });
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(reportDir, { recursive: true, force: true });
  });

  it('actually scans: the deliberately insecure canary window is reported', () => {
    const onCanary = findings.filter((f) => f.file === canaryFile).map((f) => f.check);
    assert.ok(onCanary.includes('CONTEXT_ISOLATION_JS_CHECK'), `canary findings: ${onCanary.join(', ')}`);
    assert.ok(onCanary.includes('SANDBOX_JS_CHECK'), `canary findings: ${onCanary.join(', ')}`);
  });

  it('leaves no HIGH or MEDIUM finding in flatdeck unexplained', () => {
    const serious = findings.filter((f) => f.file !== canaryFile && (f.severity === 'HIGH' || f.severity === 'MEDIUM'));
    const unexplained = serious.filter((f) => !allowlist.some((a) => a.check === f.check && a.file === f.file));
    for (const f of findings.filter((x) => x.file !== canaryFile)) {
      console.log(`electronegativity: ${f.severity} ${f.check} ${f.file}:${f.location} ${f.description}`);
    }
    assert.deepEqual(unexplained, [], 'explain these in test/packaging/electronegativity-allowlist.json or fix them');
  });

  it('has no stale allowlist entries', () => {
    const stale = allowlist.filter((a) => !findings.some((f) => f.check === a.check && f.file === a.file));
    assert.deepEqual(stale, [], 'these findings are gone: remove them from the allowlist');
  });
});
