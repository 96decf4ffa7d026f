/** Redelivery delay after a failed attempt: the schedule by attempt, its last entry repeating. */
export function retryDelayFor(schedule: readonly number[], deliveryCount: number): number {
  if (schedule.length === 0) return 0;
  const index = Math.min(Math.max(deliveryCount, 1), schedule.length) - 1;
  return schedule[index]!;
}
