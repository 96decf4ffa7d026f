/** No pending schedule with this id: never made, cancelled, or already delivered. */
export class ScheduleNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`no pending schedule ${id} (never made, cancelled, or already delivered)`);
    this.name = 'ScheduleNotFoundError';
  }
}

/** SCHEDULES holds as many messages or bytes as it may (SCHEDULES_MAX_MESSAGES, SCHEDULES_MAX_BYTES): nothing new is stored. */
export class SchedulesFullError extends Error {
  constructor(
    readonly limit: number,
    readonly measure: 'messages' | 'bytes' = 'messages',
  ) {
    super(
      measure === 'messages'
        ? `${limit} schedules are pending, the most SCHEDULES may hold; nothing was stored`
        : `SCHEDULES holds ${limit} bytes, the most it may; nothing was stored`,
    );
    this.name = 'SchedulesFullError';
  }
}
