import Testing

@testable import Printing

/// Text in the one-byte code pages of the PDF fonts (Windows-1252) and of receipt printers
/// (PC858): Latin letters they lack print without their diacritics, never as `?`.
@Suite struct CodePageTextTests {
    static func pdf(_ text: String) -> [UInt8] { CodePageText.bytes(text, in: PDFDocument.Page.windows1252) }
    static func escpos(_ text: String) -> [UInt8] { CodePageText.bytes(text, in: ESCPOS.pc858) }

    @Test func latinLettersACodePageLacksLoseTheirDiacritics() {
        // Windows-1252 has á and ó: only ř, Ł and ź change.
        #expect(Self.pdf("Dvořák") == Array("Dvor".utf8) + [0xE1, UInt8(ascii: "k")])
        #expect(Self.pdf("Łódź") == [UInt8(ascii: "L"), 0xF3, UInt8(ascii: "d"), UInt8(ascii: "z")])
        #expect(
            Self.pdf("Šťastný Žďár œ") == [0x8A] + Array("tastn".utf8) + [
                0xFD, 0x20, 0x8E, 0x64, 0xE1, 0x72, 0x20, 0x9C,
            ])
        // PC858 has á and ó too, but no dash: the dash as ASCII.
        #expect(Self.escpos("Rusalka – Dvořák") == Array("Rusalka - Dvor".utf8) + [0xA0, UInt8(ascii: "k")])
        #expect(Self.escpos("Łódź") == [UInt8(ascii: "L"), 0xA2, UInt8(ascii: "d"), UInt8(ascii: "z")])
        #expect(Self.escpos("Őrség đ ħ ı Ǆ") == Array("Ors".utf8) + [0x82] + Array("g d h i DZ".utf8))
        // Written decomposed (a letter, then its combining mark): the mark goes, the letter stays.
        #expect(Self.escpos("Dvor\u{030C}a\u{0301}k") == Array("Dvorak".utf8))
    }

    @Test func whatIsNoLatinLetterStaysAQuestionMark() {
        #expect(Self.pdf("Чайка") == Array("?????".utf8))
        #expect(Self.escpos("白鳥の湖 Ω") == Array("???? ?".utf8))
        #expect(CodePageText.latinBase(of: "Ω") == nil && CodePageText.latinBase(of: "ℓ") == nil)
    }
}
