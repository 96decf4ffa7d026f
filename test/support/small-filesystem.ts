import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Mounting needs root (CAP_SYS_ADMIN); callers skip their scenario with this reason otherwise. */
export function smallFilesystemUnavailable(): string | undefined {
  return process.getuid?.() === 0 ? undefined : 'needs root: mount -t tmpfs';
}

/**
 * A tmpfs of `sizeMb` on a temp directory, for a JetStream store that can
 * really run out of space. `fill(leaveMb)` writes a filler file so that only
 * about `leaveMb` remain; `free()` deletes it. `dispose()` unmounts and removes
 * the directory, also after a partial set-up.
 */
export class SmallFilesystem {
  private mounted = false;

  private constructor(readonly dir: string) {}

  static mount(sizeMb: number): SmallFilesystem {
    const fs = new SmallFilesystem(mkdtempSync(join(tmpdir(), 'nestjet-smallfs-')));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', fs.dir], { stdio: ['ignore', 'ignore', 'pipe'] });
      fs.mounted = true;
    } catch (err) {
      fs.dispose();
      throw err;
    }
    return fs;
  }

  private get filler(): string {
    return join(this.dir, 'filler');
  }

  /** Bytes still free for an unprivileged writer. */
  availableBytes(): number {
    const s = statfsSync(this.dir);
    return s.bavail * s.bsize;
  }

  /** Appends to the filler until at most `leaveMb` remain or the filesystem refuses (ENOSPC). */
  fill(leaveMb: number): void {
    const chunk = Buffer.alloc(64 * 1024, 1);
    const fd = openSync(this.filler, 'a');
    try {
      while (this.availableBytes() > leaveMb * 1024 * 1024) writeSync(fd, chunk);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    } finally {
      closeSync(fd);
    }
  }

  free(): void {
    rmSync(this.filler, { force: true });
  }

  dispose(): void {
    if (this.mounted) {
      try {
        execFileSync('umount', ['-l', this.dir], { stdio: 'ignore' });
        this.mounted = false;
      } catch {
        /* left mounted: reported by the caller's own checks */
      }
    }
    if (!this.mounted) rmSync(this.dir, { recursive: true, force: true });
  }
}
