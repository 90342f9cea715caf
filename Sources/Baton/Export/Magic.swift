// The magic record a flow library carries in its ".baton_magic" ELF section. The host reads it from
// the file before loading the library and refuses a mismatch before any library code runs.
//
// Why this file repeats one line per compiler version: `@section` needs a compile-time constant, and
// Swift's constant evaluator reads neither C macros (so not BATON_SWIFT_COMPILER from baton.h) nor other
// `let`s. The fields are (struct_size, abi_major, abi_minor, swift_compiler, sdk_major, sdk_minor,
// sdk_patch, reserved), matching `baton_magic` in baton.h. BatonSDKTests checks every field against
// the header, so a new toolchain or ABI version fails a test until this table is updated.

#if compiler(>=6.5)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 0xFFFF_FFFF, 0, 2, 1, 0)  // a compiler newer than this table: refused until updated
#elseif compiler(>=6.4.9)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60409, 0, 2, 1, 0)
#elseif compiler(>=6.4.8)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60408, 0, 2, 1, 0)
#elseif compiler(>=6.4.7)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60407, 0, 2, 1, 0)
#elseif compiler(>=6.4.6)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60406, 0, 2, 1, 0)
#elseif compiler(>=6.4.5)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60405, 0, 2, 1, 0)
#elseif compiler(>=6.4.4)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60404, 0, 2, 1, 0)
#elseif compiler(>=6.4.3)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60403, 0, 2, 1, 0)
#elseif compiler(>=6.4.2)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60402, 0, 2, 1, 0)
#elseif compiler(>=6.4.1)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60401, 0, 2, 1, 0)
#elseif compiler(>=6.4.0)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60400, 0, 2, 1, 0)
#elseif compiler(>=6.3.9)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60309, 0, 2, 1, 0)
#elseif compiler(>=6.3.8)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60308, 0, 2, 1, 0)
#elseif compiler(>=6.3.7)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60307, 0, 2, 1, 0)
#elseif compiler(>=6.3.6)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60306, 0, 2, 1, 0)
#elseif compiler(>=6.3.5)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60305, 0, 2, 1, 0)
#elseif compiler(>=6.3.4)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60304, 0, 2, 1, 0)
#elseif compiler(>=6.3.3)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60303, 0, 2, 1, 0)
#elseif compiler(>=6.3.2)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60302, 0, 2, 1, 0)
#elseif compiler(>=6.3.1)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60301, 0, 2, 1, 0)
#elseif compiler(>=6.3.0)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60300, 0, 2, 1, 0)
#elseif compiler(>=6.2.9)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60209, 0, 2, 1, 0)
#elseif compiler(>=6.2.8)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60208, 0, 2, 1, 0)
#elseif compiler(>=6.2.7)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60207, 0, 2, 1, 0)
#elseif compiler(>=6.2.6)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60206, 0, 2, 1, 0)
#elseif compiler(>=6.2.5)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60205, 0, 2, 1, 0)
#elseif compiler(>=6.2.4)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60204, 0, 2, 1, 0)
#elseif compiler(>=6.2.3)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60203, 0, 2, 1, 0)
#elseif compiler(>=6.2.2)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60202, 0, 2, 1, 0)
#elseif compiler(>=6.2.1)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60201, 0, 2, 1, 0)
#elseif compiler(>=6.2.0)
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 60200, 0, 2, 1, 0)
#else
@section(".baton_magic") @used
let batonMagicRecord: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (32, 1, 2, 0, 0, 2, 1, 0)  // a compiler older than 6.2: refused
#endif

/// The magic values this SDK was compiled with, for tests and diagnostics.
public enum BatonSDKMagic {
    /// The fields of the library's magic record, in the order of `baton_magic` in baton.h.
    public static var fields: [UInt32] {
        let m = batonMagicRecord
        return [m.0, m.1, m.2, m.3, m.4, m.5, m.6, m.7]
    }

    /// The SDK version as text, for example "0.1.0".
    public static var sdkVersion: String { "\(fields[4]).\(fields[5]).\(fields[6])" }
}
