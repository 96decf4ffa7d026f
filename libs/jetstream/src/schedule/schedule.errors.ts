/** No pending schedule with this id: never made, cancelled, or already delivered. */
export class ScheduleNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`no pending schedule ${id} (never made, cancelled, or already delivered)`);
    this.name = 'ScheduleNotFoundError';
  }
}

/** SCHEDULES holds as many pending schedules as it may (SCHEDULES_MAX_PENDING): nothing new is stored. */
export class SchedulesFullError extends Error {
  constructor(readonly limit: number) {
    super(`${limit} schedules are pending, the most SCHEDULES may hold; nothing was stored`);
    this.name = 'SchedulesFullError';
  }
}
