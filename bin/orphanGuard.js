// Preloaded (--import) into the Node that the launcher (nodeLauncher.js) starts. The launcher holds the
// other end of an IPC channel; when it dies, however it dies (kill -9 included), the channel closes and
// this stops the program as SIGTERM would: it shuts down cleanly and frees its port instead of living
// on as an orphan. Only the launcher's direct child acts on it; processes that inherit the preload
// (node --test's workers, say) have no such channel or another parent and are left alone.
if (process.channel && process.env.MAOS_LAUNCHED_BY === String(process.ppid)) {
  process.once("disconnect", () => process.kill(process.pid, "SIGTERM"));
  // The channel must not keep the program alive once it has finished its work.
  process.channel.unref();
}
