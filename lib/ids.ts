const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (id: string): boolean => UUID.test(id);

/** Ids that are not UUIDs cannot exist; dropping them keeps PostgreSQL from refusing a whole batch. */
export const validIds = (ids: readonly string[]): string[] => ids.filter(isUuid);
