// What the kubelet role sees of a simulated Flatcar machine (the seam between sim/fleet and sim/kubelet).
// One definition for both sides: sim/kubelet declares it structurally; SimNode implements it.
export type { SimNodeView } from '../kubelet/node-view.ts';
