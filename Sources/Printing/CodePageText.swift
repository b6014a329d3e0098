/// Text for an output whose fonts know one byte a character (a receipt printer's code page, a
/// PDF's standard fonts): each character the code page has, as its byte; a Latin letter it lacks
/// as that letter without its diacritic (`ř` → `r`, `Ł` → `L`, `ő` → `o`: `Dvořák` prints
/// `Dvorák` where `á` is in the code page), a combining mark as nothing (the letter before it
/// stays), a dash or curly quote as ASCII; anything else (Cyrillic, Greek, CJK) as `?`.
enum CodePageText {
    /// The bytes of `text` in the code page `byte` describes (nil: a character it lacks).
    static func bytes(_ text: String, in byte: (Unicode.Scalar) -> UInt8?) -> [UInt8] {
        var bytes = [UInt8]()
        for scalar in text.unicodeScalars {
            if let known = byte(scalar) {
                bytes.append(known)
            } else if scalar.properties.generalCategory == .nonspacingMark {
                continue
            } else if let letters = latinBase(of: scalar) ?? punctuation[scalar] {
                bytes += letters.unicodeScalars.map { byte($0) ?? UInt8(ascii: "?") }
            } else {
                bytes.append(UInt8(ascii: "?"))
            }
        }
        return bytes
    }

    /// Typographic punctuation a code page may lack (PC858 has no dashes or curly quotes), as
    /// the ASCII a typewriter used.
    static let punctuation: [Unicode.Scalar: String] = [
        "\u{2013}": "-", "\u{2014}": "-", "\u{2018}": "'", "\u{2019}": "'", "\u{201A}": "'", "\u{201C}": "\"",
        "\u{201D}": "\"", "\u{201E}": "\"", "\u{2026}": "...", "\u{2022}": "*", "\u{00A0}": " ",
    ]

    /// The letters of a Latin letter with a diacritic or a stroke, or of a ligature, as its
    /// Unicode name gives them (`LATIN SMALL LETTER R WITH CARON` → `r`, `LATIN CAPITAL LETTER L
    /// WITH STROKE` → `L`, `LATIN SMALL LIGATURE OE` → `oe`): what canonical decomposition gives
    /// for the letters that decompose (ř, ź, ő), and the only answer for those that do not (Ł, đ,
    /// ħ). Nil for any other character.
    static func latinBase(of scalar: Unicode.Scalar) -> String? {
        guard let name = scalar.properties.name else { return nil }
        let words = name.split(separator: " ")
        guard words.count >= 4, words[0] == "LATIN", words[1] == "CAPITAL" || words[1] == "SMALL",
            words[2] == "LETTER" || words[2] == "LIGATURE"
        else { return nil }
        var base = words[3]
        if words[2] == "LETTER", base == "DOTLESS", words.count == 5 {
            base = words[4]
        } else if words[2] == "LETTER", words.count > 4, words[4] != "WITH" {
            return nil
        }
        guard base.allSatisfy({ $0.isASCII && $0.isUppercase }), base.count <= 2 else { return nil }
        return words[1] == "SMALL" ? base.lowercased() : String(base)
    }
}
