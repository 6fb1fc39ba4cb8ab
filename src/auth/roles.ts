/** The four roles, weakest first (permissions.ts says what each may do). */
export const ROLES = ['viewer', 'operator', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];
