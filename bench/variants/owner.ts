/** The `owner` the unauthenticated variant answers: as long as a user id, so every body has one size. */
export const FIXED_OWNER = '00000000-0000-4000-8000-000000000000';
