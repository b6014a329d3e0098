import Glibc
import Testing

@testable import CLIKit

/// The columns text takes on a terminal, against glibc's `wcwidth` and `wcswidth` in C.UTF-8 and
/// against published examples; cutting lines to a width.
@Suite struct TerminalColumnsTests {
    /// glibc's `wcwidth` and `wcswidth`, which Glibc's module map leaves out (they need
    /// `_XOPEN_SOURCE`), in the C.UTF-8 locale.
    enum GlibcWidth {
        typealias Width = @convention(c) (Int32) -> Int32
        typealias StringWidth = @convention(c) (UnsafePointer<Int32>?, Int) -> Int32
        static let inUTF8 = setlocale(LC_ALL, "C.UTF-8") != nil
        static let width = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "wcwidth")!, to: Width.self)
        static let stringWidth = unsafeBitCast(
            dlsym(UnsafeMutableRawPointer(bitPattern: 0), "wcswidth")!, to: StringWidth.self)

        static func of(_ scalar: Unicode.Scalar) -> Int {
            precondition(inUTF8, "no C.UTF-8 locale")
            return Int(width(Int32(scalar.value)))
        }

        static func of(_ text: String) -> Int {
            precondition(inUTF8, "no C.UTF-8 locale")
            let characters = text.unicodeScalars.map { Int32($0.value) } + [0]
            return Int(stringWidth(characters, characters.count - 1))
        }
    }

    /// Every code point glibc can print (Unicode 14.0 in glibc 2.36) takes the columns `wcwidth`
    /// gives, except the two blocks glibc makes wide by its own choice where UAX #11 says ambiguous
    /// (circled numbers on black squares) and narrow (the Yijing hexagrams), and U+1171E AHOM
    /// CONSONANT SIGN MEDIAL RA, a spacing mark (Mc) in the standard library's newer Unicode.
    @Test func eachCodePointTakesTheColumnsGlibcGivesIt() {
        let glibcOwn: [ClosedRange<UInt32>] = [0x3248...0x324F, 0x4DC0...0x4DFF]
        #expect(Unicode.Scalar(0x1171E)!.properties.generalCategory == .spacingMark)
        #expect(TerminalColumns.of(Unicode.Scalar(0x1171E)!) == 1 && GlibcWidth.of(Unicode.Scalar(0x1171E)!) == 0)
        var compared = 0
        var differences: [String] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let glibc = GlibcWidth.of(scalar)
            guard glibc >= 0, value != 0x1171E else { continue }
            compared += 1
            let columns = TerminalColumns.of(scalar)
            if columns != glibc, !glibcOwn.contains(where: { $0.contains(value) }) {
                differences.append("U+\(String(value, radix: 16, uppercase: true)): \(columns), glibc \(glibc)")
            }
            if glibcOwn.contains(where: { $0.contains(value) }) { #expect(columns == 1 && glibc == 2) }
        }
        #expect(compared > 280_000, "glibc printed only \(compared) code points: is C.UTF-8 there?")
        #expect(differences.isEmpty, "\(differences.count): \(differences.prefix(50))")
    }

    /// Runs of text with no emoji sequence in them (joiners, skin tones, U+FE0F) take what
    /// `wcswidth` gives, however their code points group into characters: 64 code points at a time
    /// over every one glibc can print, but for the differences above.
    @Test func textWithoutEmojiSequencesTakesWhatWcswidthGives() {
        let left: Set<UInt32> = [0x200D, 0xFE0F, 0x1F3FB, 0x1F3FC, 0x1F3FD, 0x1F3FE, 0x1F3FF, 0x1171E]
        let printable = (UInt32(0x20)...0x10FFFF).compactMap(Unicode.Scalar.init).filter {
            GlibcWidth.of($0) >= 0 && !left.contains($0.value)
                && !(0x3248...0x324F).contains($0.value) && !(0x4DC0...0x4DFF).contains($0.value)
        }
        var differences: [String] = []
        for start in stride(from: 0, to: printable.count, by: 64) {
            var text = ""
            text.unicodeScalars.append(contentsOf: printable[start..<min(start + 64, printable.count)])
            let glibc = GlibcWidth.of(text)
            if text.terminalColumns != glibc {
                differences.append(
                    "from U+\(String(printable[start].value, radix: 16)): \(text.terminalColumns), \(glibc)")
            }
        }
        #expect(differences.isEmpty, "\(differences.prefix(20))")
    }

    /// Examples with a known width: Japanese, Korean, fullwidth and halfwidth forms, accents
    /// written as two code points, a syllable of conjoining jamo, and emoji: 2 for each emoji of a
    /// sequence (a ZWJ family, a skin tone), as wcswidth and tmux count them, a flag's two regional
    /// indicators 1 each, and a heart asked to show as a picture 2.
    @Test func publishedExamplesTakeTheirColumns() {
        let examples: [(String, Int)] = [
            ("会場閉鎖のため", 14), ("コンニチハ", 10), ("ｺﾝﾆﾁﾊ", 5), ("ＡＢＣ", 6), ("한국어", 6), ("Zoë", 3),
            ("Zoe\u{0308}", 3), ("\u{1100}\u{1161}\u{11A8}", 2), ("a\u{200B}b", 2), ("soft\u{00AD}hyphen", 11),
            ("\u{0600}\u{0661}", 2), ("👍", 2), ("👍🏽", 4), ("👩‍👩‍👧", 6), ("🧑🏽‍💻", 6), ("🏳️‍🌈", 3), ("🇯🇵", 2),
            ("❤", 1), ("❤️", 2), ("1️⃣", 2), ("\u{0007}", 0), ("", 0),
        ]
        for (text, columns) in examples {
            #expect(text.terminalColumns == columns, "\(text)")
        }
        // Emoji newer than the table (Unicode 15.0.0), which glibc 2.36 does not know, are wide by
        // the standard library's Emoji_Presentation.
        let newer = (UInt32(0x1F000)...0x1FAFF).compactMap(Unicode.Scalar.init).filter {
            $0.properties.isEmojiPresentation && !TerminalColumns.isWide($0.value)
        }
        #expect(newer.allSatisfy { TerminalColumns.of($0) == 2 || (0x1F1E6...0x1F1FF).contains($0.value) })
        #expect(newer.allSatisfy { ($0.properties.age?.major ?? 0) > 15 || (0x1F1E6...0x1F1FF).contains($0.value) })
    }

    /// A cut keeps whole grapheme clusters, takes at most the columns given, and leaves out a wide
    /// character that would straddle the edge.
    @Test func aCutNeverSplitsACharacterNorPassesTheWidth() {
        #expect("会場閉鎖".prefix(terminalColumns: 5) == "会場")
        #expect("会場閉鎖".prefix(terminalColumns: 4) == "会場")
        #expect("会場閉鎖".prefix(terminalColumns: 1) == "")
        #expect("e\u{0301}e\u{0301}".prefix(terminalColumns: 1) == "e\u{0301}")
        #expect("👩‍👩‍👧x".prefix(terminalColumns: 6) == "👩‍👩‍👧")
        #expect("👩‍👩‍👧x".prefix(terminalColumns: 5) == "")
        #expect("ab".prefix(terminalColumns: 0) == "")
        for text in ["会場閉鎖のため、a👍🏽bｺﾝ한국어e\u{0301}🇯🇵❤️ok", "x会場閉鎖のため"] {
            for columns in 0...(text.terminalColumns + 2) {
                let cut = text.prefix(terminalColumns: columns)
                let rest = text[cut.endIndex...]
                #expect(cut.terminalColumns <= columns)
                #expect(cut.count + rest.count == text.count, "a character split at \(columns)")
                if let next = rest.first { #expect(cut.terminalColumns + TerminalColumns.of(next) > columns) }
            }
        }
    }

    /// On a terminal of 6 columns a watch frame's lines are cut by the columns they take; a line
    /// that reaches the edge is not followed by an erase (it would erase its last column).
    @Test func aWatchFrameIsCutByColumns() {
        let frame = Watch.drawnOver("ab会場閉鎖\nabc会場閉鎖\nok", size: TerminalSize(rows: 10, columns: 6))
        #expect(frame == "\u{1B}[Hab会場\nabc会\u{1B}[K\nok\u{1B}[K\u{1B}[J")
    }

    /// Tables and padded columns line up by the columns their text takes: a Japanese event title
    /// pushes the next column as far as its width, not its count of characters.
    @Test func tablesLineUpByColumns() {
        let table = TextTable.render(["EVENT", "TITLE", "SOLD"], [["GALA", "会場の夜", "12"], ["JAZZ", "Jazz", "3"]])
        #expect(table == "EVENT  TITLE     SOLD\nGALA   会場の夜  12\nJAZZ   Jazz      3")
        #expect("会場".padded(to: 6) + "|" == "会場  |")
        #expect("会場閉鎖".padded(to: 6) == "会場閉鎖")
    }
}
