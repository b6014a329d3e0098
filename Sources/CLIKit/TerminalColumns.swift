/// The columns text takes on a terminal, as glibc's `wcwidth(3)` counts them in a UTF-8 locale,
/// taken per grapheme cluster (what a person sees as one character):
///
/// - 2 for East Asian Wide and Fullwidth characters (UAX #11's `W` and `F`, Unicode 15.0.0), and
///   for emoji shown as pictures (Emoji_Presentation, or an emoji followed by U+FE0F);
/// - 0 for combining marks (general category Mn and Me: accents, variation selectors), format
///   characters (Cf: the zero-width joiner and space, direction marks) and the Hangul vowels and
///   final consonants that join a leading consonant into one syllable;
/// - each emoji of a sequence its own 2, those a zero-width joiner or a skin-tone modifier draws
///   into one picture too, as `wcswidth` and tmux count them: a terminal that draws the picture
///   shows the line shorter than counted, never wider;
/// - 0 for control characters, which draw nothing (`wcwidth` says -1);
/// - 1 for everything else, the soft hyphen and the prepended concatenation marks (U+0600…) too,
///   and U+3248…U+324F and U+4DC0…U+4DFF, which glibc alone makes wide.
///
/// ```swift
/// "会場閉鎖のため".terminalColumns      // 14
/// "Zoë".terminalColumns                 // 3
/// "👩‍👩‍👧".terminalColumns                // 6: 2 for each emoji the picture joins
/// "会場閉鎖".prefix(terminalColumns: 5)  // "会場": the third would straddle the edge
/// ```
public enum TerminalColumns {
    /// The columns one grapheme cluster takes: the sum of its code points' columns, and at least 2
    /// for an emoji asked to show as a picture (U+FE0F).
    public static func of(_ character: Character) -> Int {
        let scalars = character.unicodeScalars
        let columns = scalars.reduce(0) { $0 + of($1) }
        if let first = scalars.first, first.properties.isEmoji, scalars.contains("\u{FE0F}") {
            return max(columns, 2)
        }
        return columns
    }

    /// The columns one code point takes on its own: what glibc's `wcwidth` gives (0 where it says -1).
    public static func of(_ scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value < 0x20 || (0x7F...0x9F).contains(value) { return 0 }
        if value == 0xAD || prependedConcatenationMarks.contains(value) { return 1 }
        if (0x1160...0x11FF).contains(value) || (0xD7B0...0xD7FF).contains(value) { return 0 }
        let properties = scalar.properties
        switch properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if isWide(value) { return 2 }
        // Emoji newer than the table; a regional indicator is one column, two of them one flag.
        if properties.isEmojiPresentation, !(0x1F1E6...0x1F1FF).contains(value) { return 2 }
        return 1
    }

    /// True when `value` is East Asian Wide or Fullwidth.
    static func isWide(_ value: UInt32) -> Bool {
        guard value >= wide[0].lowerBound else { return false }
        var low = 0
        var high = wide.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if wide[middle].lowerBound <= value { low = middle } else { high = middle - 1 }
        }
        return wide[low].contains(value)
    }

    /// The code points whose East_Asian_Width is `W` or `F` in EastAsianWidth-15.0.0.txt (Unicode
    /// 15.0.0), adjacent ranges merged, with the unassigned ones the file gives `W` by default (CJK
    /// ideograph blocks, planes 2 and 3).
    static let wide: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0...0x23F0, 0x23F3...0x23F3,
        0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F...0x267F, 0x2693...0x2693, 0x26A1...0x26A1,
        0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE...0x26CE, 0x26D4...0x26D4, 0x26EA...0x26EA,
        0x26F2...0x26F3, 0x26F5...0x26F5, 0x26FA...0x26FA, 0x26FD...0x26FD, 0x2705...0x2705, 0x270A...0x270B,
        0x2728...0x2728, 0x274C...0x274C, 0x274E...0x274E, 0x2753...0x2755, 0x2757...0x2757, 0x2795...0x2797,
        0x27B0...0x27B0, 0x27BF...0x27BF, 0x2B1B...0x2B1C, 0x2B50...0x2B50, 0x2B55...0x2B55, 0x2E80...0x2E99,
        0x2E9B...0x2EF3, 0x2F00...0x2FD5, 0x2FF0...0x2FFB, 0x3000...0x303E, 0x3041...0x3096, 0x3099...0x30FF,
        0x3105...0x312F, 0x3131...0x318E, 0x3190...0x31E3, 0x31F0...0x321E, 0x3220...0x3247, 0x3250...0x4DBF,
        0x4E00...0xA48C, 0xA490...0xA4C6, 0xA960...0xA97C, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19,
        0xFE30...0xFE52, 0xFE54...0xFE66, 0xFE68...0xFE6B, 0xFF01...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4,
        0x16FF0...0x16FF1, 0x17000...0x187F7, 0x18800...0x18CD5, 0x18D00...0x18D08, 0x1AFF0...0x1AFF3,
        0x1AFF5...0x1AFFB, 0x1AFFD...0x1AFFE, 0x1B000...0x1B122, 0x1B132...0x1B132, 0x1B150...0x1B152,
        0x1B155...0x1B155, 0x1B164...0x1B167, 0x1B170...0x1B2FB, 0x1F004...0x1F004, 0x1F0CF...0x1F0CF,
        0x1F18E...0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F202, 0x1F210...0x1F23B, 0x1F240...0x1F248,
        0x1F250...0x1F251, 0x1F260...0x1F265, 0x1F300...0x1F320, 0x1F32D...0x1F335, 0x1F337...0x1F37C,
        0x1F37E...0x1F393, 0x1F3A0...0x1F3CA, 0x1F3CF...0x1F3D3, 0x1F3E0...0x1F3F0, 0x1F3F4...0x1F3F4,
        0x1F3F8...0x1F43E, 0x1F440...0x1F440, 0x1F442...0x1F4FC, 0x1F4FF...0x1F53D, 0x1F54B...0x1F54E,
        0x1F550...0x1F567, 0x1F57A...0x1F57A, 0x1F595...0x1F596, 0x1F5A4...0x1F5A4, 0x1F5FB...0x1F64F,
        0x1F680...0x1F6C5, 0x1F6CC...0x1F6CC, 0x1F6D0...0x1F6D2, 0x1F6D5...0x1F6D7, 0x1F6DC...0x1F6DF,
        0x1F6EB...0x1F6EC, 0x1F6F4...0x1F6FC, 0x1F7E0...0x1F7EB, 0x1F7F0...0x1F7F0, 0x1F90C...0x1F93A,
        0x1F93C...0x1F945, 0x1F947...0x1F9FF, 0x1FA70...0x1FA7C, 0x1FA80...0x1FA88, 0x1FA90...0x1FABD,
        0x1FABF...0x1FAC5, 0x1FACE...0x1FADB, 0x1FAE0...0x1FAE8, 0x1FAF0...0x1FAF8, 0x20000...0x2FFFD,
        0x30000...0x3FFFD,
    ]

    /// Format characters glibc draws one column wide: signs placed over the digits that follow
    /// (PropList.txt's Prepended_Concatenation_Mark).
    static let prependedConcatenationMarks: Set<UInt32> = [
        0x0600, 0x0601, 0x0602, 0x0603, 0x0604, 0x0605, 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2, 0x110BD, 0x110CD,
    ]
}

extension StringProtocol {
    /// The columns the text takes on a terminal (``TerminalColumns``), line breaks aside.
    public var terminalColumns: Int { reduce(0) { $0 + TerminalColumns.of($1) } }

    /// The longest start of the text that takes at most `columns` on a terminal: whole grapheme
    /// clusters only, so a wide character that would straddle the edge is left out with the rest.
    public func prefix(terminalColumns columns: Int) -> SubSequence {
        var taken = 0
        var end = startIndex
        for index in indices {
            taken += TerminalColumns.of(self[index])
            if taken > columns { break }
            end = self.index(after: index)
        }
        return self[startIndex..<end]
    }
}
