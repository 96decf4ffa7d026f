import { SCHEDULE_BYTE_UNIT } from './schedule.constants.js';

/** No pending schedule with this id: never made, cancelled, or already delivered. */
export class ScheduleNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`no pending schedule ${id} (never made, cancelled, or already delivered)`);
    this.name = 'ScheduleNotFoundError';
  }
}

/** SCHEDULES holds as many messages or bytes as it may (SCHEDULES_MAX_MESSAGES, SCHEDULES_MAX_BYTES), or the caller as many pending schedules or bytes (SCHEDULES_MAX_PENDING_PER_CALLER, SCHEDULES_MAX_PENDING_BYTES_PER_CALLER): nothing new is stored. */
export class SchedulesFullError extends Error {
  constructor(
    readonly limit: number,
    readonly measure: 'messages' | 'bytes' | 'per-caller' | 'bytes-per-caller' = 'messages',
  ) {
    super(
      measure === 'messages'
        ? `${limit} schedules are pending, the most SCHEDULES may hold; nothing was stored`
        : measure === 'bytes'
          ? `SCHEDULES holds ${limit} bytes, the most it may; nothing was stored`
          : measure === 'per-caller'
            ? `${limit} of your schedules are pending, the most one caller may have; nothing was stored`
            : `your pending schedules would hold more than ${limit} bytes (counted in ${SCHEDULE_BYTE_UNIT}-byte units, rounded up per schedule), the most one caller may; nothing was stored`,
    );
    this.name = 'SchedulesFullError';
  }
}
