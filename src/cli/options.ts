import { InvalidArgumentError } from 'commander';

export function intOption(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`'${value}' is not a whole number`);
  return Number(value);
}

export function listOption(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function coordinatorUrl(explicit: string | undefined): string {
  return explicit ?? process.env.CORTEN_URL ?? 'http://127.0.0.1:7070';
}
