#if canImport(Glibc)
import Glibc
#endif

extension MailMessage {
    /// The message as sent after DATA, before dot-stuffing: the header section and the
    /// quoted-printable body, every line ended by CRLF and none longer than 78 characters but for a
    /// long address.
    func encoded(at time: time_t, messageID: String) -> [UInt8] {
        var head = "Date: \(MailEncoding.date(time))\r\n"
        head += "From: \(from)\r\n"
        head += "To: \(to.joined(separator: ",\r\n "))\r\n"
        head += "Subject: \(MailEncoding.headerText(subject))\r\n"
        head += "Message-ID: \(messageID)\r\n"
        head += "MIME-Version: 1.0\r\n"
        head += "Content-Type: text/plain; charset=utf-8\r\n"
        head += "Content-Transfer-Encoding: quoted-printable\r\n"
        head += "\r\n"
        return Array(head.utf8) + MailEncoding.quotedPrintable(body)
    }

    /// A new, unique `<…@domain>` Message-ID.
    func newMessageID() -> String {
        let random = (0..<2).map { _ in String(UInt64.random(in: .min ... .max), radix: 36) }.joined(separator: ".")
        return "<\(random)@\(senderDomain)>"
    }
}

/// The encodings a plain-text mail needs: base64 (RFC 4648), quoted-printable (RFC 2045), encoded
/// words (RFC 2047) and the date (RFC 5322).
enum MailEncoding {
    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func base64<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        let bytes = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        for index in stride(from: 0, to: bytes.count, by: 3) {
            let count = min(3, bytes.count - index)
            var group = UInt32(bytes[index]) << 16
            if count > 1 { group |= UInt32(bytes[index + 1]) << 8 }
            if count > 2 { group |= UInt32(bytes[index + 2]) }
            for position in 0..<4 {
                output.append(position <= count ? base64Alphabet[Int(group >> (18 - 6 * UInt32(position)) & 63)] : UInt8(ascii: "="))
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// `text` as a header value: as it is when it is short printable ASCII that cannot be mistaken
    /// for an encoded word, else UTF-8 "B" encoded words of at most 75 characters on folded lines.
    static func headerText(_ text: String) -> String {
        let plain = text.utf8.allSatisfy { (0x20...0x7E).contains($0) } && text.utf8.count <= 68 && !text.contains("=?")
        if plain { return text }
        // 39 bytes make 52 base64 characters: with "=?UTF-8?B?" and "?=", 64, and "Subject: " before
        // the first stays under 78.
        var words: [String] = []
        var piece: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if !piece.isEmpty && piece.count + bytes.count > 39 {
                words.append("=?UTF-8?B?\(base64(piece))?=")
                piece = []
            }
            piece += bytes
        }
        if !piece.isEmpty || words.isEmpty { words.append("=?UTF-8?B?\(base64(piece))?=") }
        return words.joined(separator: "\r\n ")
    }

    /// `text` quoted-printable, its line ends (CRLF, LF or CR) made CRLF, ending with CRLF.
    ///
    /// Lines are soft-broken at 76 characters; a space or tab ending a line, and "F" starting
    /// "From " (which mbox files mangle), are encoded. A leading "." is left as it is: dot-stuffing
    /// is the transport's job.
    static func quotedPrintable(_ text: String) -> [UInt8] {
        var output: [UInt8] = []
        for line in lines(of: text) {
            var length = 0
            for (index, byte) in line.enumerated() {
                let last = index == line.count - 1
                let literal: Bool
                switch byte {
                case 0x21...0x3C, 0x3E...0x7E: literal = !(index == 0 && byte == UInt8(ascii: "F") && line.starts(with: Array("From ".utf8)))
                case 0x20, 0x09: literal = !last
                default: literal = false
                }
                let token: [UInt8] = literal ? [byte] : [UInt8(ascii: "=")] + hex(byte)
                // A soft break where the token would pass 75 (76 with the "="), or 76 on the last.
                if length + token.count > (last ? 76 : 75) {
                    output += Array("=\r\n".utf8)
                    length = 0
                }
                output += token
                length += token.count
            }
            output += [13, 10]
        }
        return output
    }

    /// The lines of `text` as UTF-8 without their ends; a final line end starts no further line.
    private static func lines(of text: String) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var current: [UInt8] = []
        var afterCR = false
        for byte in text.utf8 {
            if byte == 10 && afterCR {
                afterCR = false
                continue
            }
            afterCR = byte == 13
            if byte == 10 || byte == 13 {
                lines.append(current)
                current = []
            } else {
                current.append(byte)
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }

    private static func hex(_ byte: UInt8) -> [UInt8] {
        let digits = Array("0123456789ABCDEF".utf8)
        return [digits[Int(byte >> 4)], digits[Int(byte & 15)]]
    }

    /// `time` as RFC 5322 says, in UTC: "Tue, 05 Mar 2024 14:03:01 +0000".
    static func date(_ time: time_t) -> String {
        var time = time
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) +0000"
    }
}
