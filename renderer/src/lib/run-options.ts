import { updateOptionsFrom, UpdateOptions } from '../../../app/api/index.ts';
import type { AppState } from './stores/app.svelte.ts';

/** A run's options as Settings set them, or the defaults when Settings cannot be read. */
export async function runOptionsFromSettings(app: AppState): Promise<UpdateOptions> {
  const settings = await app.client.call('settings.get', {}).catch(() => null);
  return settings ? updateOptionsFrom(settings) : UpdateOptions.parse({});
}
