/**
 * What this machine offers, for the operator's `hello`: CPU cores, memory and
 * GPU memory. GPU memory comes from `nvidia-smi` when it is installed (the
 * sum over GPUs); without it, 0.
 */
import { execFile } from 'node:child_process';
import { availableParallelism, totalmem } from 'node:os';

export interface MachineResources {
  cpu: number;
  memoryMb: number;
  gpuMemoryMb: number;
}

/** How long nvidia-smi may take before the GPU is taken as absent. */
const NVIDIA_SMI_TIMEOUT_MS = 5_000;

/** Total GPU memory in MB reported by nvidia-smi, or 0 when it is absent or fails. */
export function detectGpuMemoryMb(command = 'nvidia-smi'): Promise<number> {
  return new Promise((resolve) => {
    execFile(
      command,
      ['--query-gpu=memory.total', '--format=csv,noheader,nounits'],
      { timeout: NVIDIA_SMI_TIMEOUT_MS, windowsHide: true },
      (error, stdout) => {
        if (error) {
          resolve(0);
          return;
        }
        const total = stdout
          .split('\n')
          .map((line) => Number.parseInt(line.trim(), 10))
          .filter((mb) => Number.isFinite(mb) && mb > 0)
          .reduce((sum, mb) => sum + mb, 0);
        resolve(total);
      },
    );
  });
}

/** CPU cores (available parallelism), memory and GPU memory of this machine. */
export async function detectResources(): Promise<MachineResources> {
  return {
    cpu: availableParallelism(),
    memoryMb: Math.floor(totalmem() / (1024 * 1024)),
    gpuMemoryMb: await detectGpuMemoryMb(),
  };
}
