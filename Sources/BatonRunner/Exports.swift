// The runner's callers (worker, server, CLI, bench) reach process concerns through it until they
// import `BatonProcess` themselves.
@_exported import BatonProcess
