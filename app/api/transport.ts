import { z } from 'zod';
import { ApiErrorInfo } from './errors.ts';
import { ApiEvent } from './events.ts';

/** Wire envelope shared by Electron IPC and the browser-mode WebSocket. */
export const WireRequest = z.object({
  type: z.literal('request'),
  id: z.number().int().nonnegative(),
  method: z.string().min(1).max(64),
  params: z.unknown(),
});
export type WireRequest = z.infer<typeof WireRequest>;

export const WireResponse = z.object({
  type: z.literal('response'),
  id: z.number().int().nonnegative(),
  error: ApiErrorInfo.nullable(),
  result: z.unknown(),
});
export type WireResponse = z.infer<typeof WireResponse>;

export const WireEvent = z.object({ type: z.literal('event'), event: ApiEvent });
export type WireEvent = z.infer<typeof WireEvent>;

export const WireMessage = z.discriminatedUnion('type', [WireRequest, WireResponse, WireEvent]);
export type WireMessage = z.infer<typeof WireMessage>;
