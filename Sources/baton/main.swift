import BatonCLI

#if canImport(Glibc)
import Glibc
#endif

exit(await BatonCommandLine.main(Array(CommandLine.arguments.dropFirst())))
