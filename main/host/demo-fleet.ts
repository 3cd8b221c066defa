/**
 * How many nodes the demo's simulated cluster has (GUI, browser mode and the CLI's --demo): the `mixed` fleet's
 * first six, Flatcar nodes behind and current on stable and beta, Kubermatic-masked, FLUO-ready and stock ones,
 * and worker-6, an Ubuntu worker not migrated to Flatcar yet (sim/fleet/composition.ts).
 */
export const DEMO_NODES = 6;
