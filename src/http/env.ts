export type AppEnv = {
  Variables: { requestId: string; userId: string };
};
