import { z } from 'zod';
import { ActivityEntry } from './activity.ts';
import { ClusterSummary } from './clusters.ts';
import { NodesEvent } from './nodes.ts';
import { CommandEvent, RolloutState, StepEvent } from './pipeline.ts';
import { Prompt } from './prompts.ts';

/** Everything the core pushes to its subscribers. */
export const ApiEvent = z.discriminatedUnion('topic', [
  z.object({ topic: z.literal('cluster'), payload: ClusterSummary }),
  z.object({ topic: z.literal('nodes'), payload: NodesEvent }),
  z.object({ topic: z.literal('step'), payload: StepEvent }),
  z.object({ topic: z.literal('command'), payload: CommandEvent }),
  z.object({ topic: z.literal('rollout'), payload: RolloutState }),
  z.object({ topic: z.literal('prompt'), payload: Prompt }),
  z.object({ topic: z.literal('activity'), payload: ActivityEntry }),
]);
export type ApiEvent = z.infer<typeof ApiEvent>;
export type ApiTopic = ApiEvent['topic'];
