// A library built "against another ABI and Swift compiler": it carries a magic record of Baton ABI 99.0
// built by Swift 5.9.0, and an entry point that must never run. It does not link the Baton SDK.

@section(".baton_magic") @used
let magic: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (32, 99, 0, 50900, 0, 1, 0, 0)

@_cdecl("baton_library_open")
public func batonLibraryOpen(_ host: UnsafeRawPointer?, _ out: UnsafeMutablePointer<UnsafeRawPointer?>?) -> Int32 {
    fatalError("the host ran code of a library whose magic does not match")
}
