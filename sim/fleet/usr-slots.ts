// The two USR partitions of a Flatcar disk (USR-A = 3, USR-B = 4 on /dev/sda, build_library/disk_layout.json)
// with their GPT attributes, and GRUB's choice between them (gptprio.next, as manual-rollbacks.md describes it):
// the highest-priority partition that is marked successful or still has tries boots; booting a partition that
// is not yet successful uses up one try, so an update nobody marks good boots once and then falls back.

export const DISK = '/dev/sda';
export type PartitionNumber = 3 | 4;

export interface UsrPartition {
  readonly number: PartitionNumber;
  readonly label: 'USR-A' | 'USR-B';
  readonly uuid: string;
  readonly start: number;
  /** VERSION_ID of the image written to it, null while it holds no file system (a fresh machine's USR-B) */
  version: string | null;
  priority: number;
  tries: number;
  successful: boolean;
}

const SIZE = 2097152;

export class UsrSlots {
  private readonly partitions: Record<PartitionNumber, UsrPartition>;
  private booted: PartitionNumber;

  /** `previous`: the version on the other partition (the one this machine was updated from), if any. */
  constructor(version: string, previous: string | null) {
    const a: UsrPartition = { number: 3, label: 'USR-A', uuid: '7130C94A-213A-4E5A-8E26-6CCE9662F132', start: 270336, version, priority: 2, tries: 0, successful: true };
    const b: UsrPartition = { number: 4, label: 'USR-B', uuid: 'E03DD35C-7C2D-4A47-B3FE-27F15780A57C', start: 270336 + SIZE, version: null, priority: 1, tries: 0, successful: false };
    this.partitions = { 3: a, 4: b };
    this.booted = 3;
    if (previous !== null) {
      // updated once: USR-A holds the release it came from, USR-B the one it runs, both booted successfully
      Object.assign(a, { version: previous, priority: 1 });
      Object.assign(b, { version, priority: 2, successful: true });
      this.booted = 4;
    }
  }

  bootedPartition(): UsrPartition {
    return this.partitions[this.booted];
  }

  otherPartition(): UsrPartition {
    return this.partitions[this.booted === 3 ? 4 : 3];
  }

  partition(number: number): UsrPartition | undefined {
    return number === 3 || number === 4 ? this.partitions[number] : undefined;
  }

  all(): UsrPartition[] {
    return [this.partitions[3], this.partitions[4]];
  }

  /** What GRUB would boot now, without using up a try. */
  nextBoot(): UsrPartition | null {
    const bootable = this.all().filter((p) => p.version !== null && p.priority > 0 && (p.successful || p.tries > 0));
    return bootable.sort((x, y) => y.priority - x.priority || x.number - y.number)[0] ?? null;
  }

  /** GRUB at power-on: picks the partition and uses up a try if it is not yet successful. */
  boot(): UsrPartition {
    const chosen = this.nextBoot() ?? this.bootedPartition();
    if (!chosen.successful && chosen.tries > 0) chosen.tries -= 1;
    this.booted = chosen.number;
    return chosen;
  }

  /** flatcar-postinst: the new image in the other partition, `cgpt add -S0 -T1` and `cgpt prioritize` on it. */
  install(version: string): void {
    const target = this.otherPartition();
    Object.assign(target, { version, successful: false, tries: 1 });
    this.prioritize(target.number);
  }

  /** `cgpt prioritize`: the partition ranks above every other of its type, the others keep their order. */
  prioritize(number: PartitionNumber): void {
    const target = this.partitions[number];
    const other = this.partitions[number === 3 ? 4 : 3];
    if (target.priority > other.priority) return;
    other.priority = Math.min(other.priority, 1);
    target.priority = other.priority + 1;
  }

  /** flatcar-setgoodroot: `cgpt add -S1 -T0` and `cgpt prioritize` on the booted partition. */
  markBootedGood(): void {
    Object.assign(this.bootedPartition(), { successful: true, tries: 0 });
    this.prioritize(this.booted);
  }

  /** A boot that fails before update_engine marks it (the `rollback` fault): GRUB's try is spent. */
  failNextBoot(): void {
    const next = this.nextBoot();
    if (next && !next.successful) next.tries = 0;
  }
}

/** `cgpt show /dev/sda` (vboot_reference cgpt_show.c), as manual-rollbacks.md prints it. */
export function renderCgptShow(slots: UsrSlots): string {
  const row = (start: number, size: number, part: string, contents: string) =>
    `${String(start).padStart(12)}${String(size).padStart(12)}${part.padStart(8)}  ${contents}\n`;
  const indent = ' '.repeat(34);
  const header = row(0, 1, '', 'Hybrid MBR') + row(1, 1, '', 'Pri GPT header') + row(2, 32, '', 'Pri GPT table');
  const efi = row(4096, 262144, '1', 'Label: "EFI-SYSTEM"') + `${indent}Type: EFI System Partition\n${indent}UUID: 596FF08E-5617-4497-B10B-27A23F658B73\n${indent}Attr: Legacy BIOS Bootable\n`;
  const bios = row(266240, 4096, '2', 'Label: "BIOS-BOOT"') + `${indent}Type: BIOS Boot Partition\n${indent}UUID: EACCC3D5-E7E9-461D-A6E2-1DCDAE4671EC\n`;
  const usr = slots
    .all()
    .map((p) => row(p.start, SIZE, String(p.number), `Label: "${p.label}"`) + `${indent}Type: Alias for flatcar-rootfs\n${indent}UUID: ${p.uuid}\n${indent}Attr: priority=${p.priority} tries=${p.tries} successful=${p.successful ? 1 : 0}\n`)
    .join('');
  const rest =
    row(4464640, 262144, '6', 'Label: "OEM"') + `${indent}Type: Alias for linux-data\n${indent}UUID: 726E33FA-DFE9-45B2-B215-FB35CD9C2388\n` +
    row(4726784, 131072, '7', 'Label: "OEM-CONFIG"') + `${indent}Type: Flatcar Container Linux reserved\n${indent}UUID: 8F39CE8B-1FB3-4E7E-A784-0C53C8F40442\n` +
    row(4857856, 37085151, '9', 'Label: "ROOT"') + `${indent}Type: Flatcar Container Linux auto-resize\n${indent}UUID: D9A972BB-8084-4AB5-BA55-F8A3AFFAD70D\n` +
    row(41943007, 32, '', 'Sec GPT table') + row(41943039, 1, '', 'Sec GPT header');
  return header + efi + bios + usr + rest;
}
