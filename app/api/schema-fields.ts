import { z } from 'zod';

type WithoutDefaults<S extends z.ZodRawShape> = { [K in keyof S]: z.ZodOptional<z.ZodType<z.output<S[K]>>> };

/**
 * The fields of `shape`, each optional and without its default: a field left out stays out. For patches and
 * overrides, where a schema default must not fill in a field and so overwrite the value it is applied to.
 */
export function withoutDefaults<S extends z.ZodRawShape>(shape: S): WithoutDefaults<S> {
  const unwrap = (field: z.ZodType): z.ZodType => (field instanceof z.ZodDefault || field instanceof z.ZodPrefault ? (field.unwrap() as z.ZodType) : field);
  return Object.fromEntries(Object.entries(shape).map(([key, field]) => [key, unwrap(field as z.ZodType).optional()])) as unknown as WithoutDefaults<S>;
}

/** `base` with every field `overrides` sets; a field it leaves out (or sets to undefined) keeps its value. */
export function applyOverrides<T extends object>(base: T, overrides: { [K in keyof T]?: T[K] | undefined }): T {
  const out = { ...base };
  for (const [key, value] of Object.entries(overrides) as Array<[keyof T, T[keyof T] | undefined]>) if (value !== undefined) out[key] = value;
  return out;
}
