/**
 * Machine resources for the operator's hello.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectResources } from '../../src/runtime/index.js';
import { detectGpuMemoryMb } from '../../src/runtime/resources.js';

describe('detectResources', () => {
  it('reports cores, memory and GPU memory', async () => {
    const resources = await detectResources();
    expect(resources.cpu).toBe(availableParallelism());
    expect(resources.memoryMb).toBeGreaterThan(0);
    expect(resources.gpuMemoryMb).toBeGreaterThanOrEqual(0);
  });

  it('sums the memory of every GPU nvidia-smi lists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corten-gpu-'));
    const fake = join(dir, 'nvidia-smi');
    writeFileSync(fake, '#!/bin/sh\n[ "$1" = "--query-gpu=memory.total" ] && printf "24576\\n8192\\n"\n');
    chmodSync(fake, 0o755);
    try {
      expect(await detectGpuMemoryMb(fake)).toBe(32768);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes a missing nvidia-smi as no GPU', async () => {
    expect(await detectGpuMemoryMb(join(tmpdir(), 'no-such-nvidia-smi'))).toBe(0);
  });
});
