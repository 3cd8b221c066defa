import type { FluoNodeState } from '../../../app/api/index.ts';
import { tx } from './i18n/index.svelte.ts';

/** FLUO's phase of a node in the UI language; a phase without a message shows as FLUO wrote it. */
export function fluoPhaseText(fluo: FluoNodeState | null): string {
  return fluo?.phase ? tx(`fluo.phase.${fluo.phase}`, fluo.phase) : '–';
}
