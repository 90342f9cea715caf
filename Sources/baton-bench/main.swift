import BatonBench

#if canImport(Glibc)
import Glibc
#endif

exit(await BenchCommand.main(Array(CommandLine.arguments.dropFirst())))
