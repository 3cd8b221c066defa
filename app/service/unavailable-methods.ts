import { ApiError } from '../api/errors.ts';
import { autoUpdateMethods } from '../api/auto-update.ts';
import type { ApiMethod } from '../api/methods.ts';
import type { Handlers, MethodModule } from './context.ts';

/** The auto-update and MachineDeployment methods belong to a later piece of work; until then they say so. */
export const unavailableMethods: MethodModule = () => {
  const handlers: Partial<Record<ApiMethod, () => Promise<never>>> = {};
  for (const method of Object.keys(autoUpdateMethods) as ApiMethod[]) {
    handlers[method] = async () => {
      throw new ApiError('internal', `${method} is not available yet.`, { method });
    };
  }
  return handlers as Partial<Handlers>;
};
