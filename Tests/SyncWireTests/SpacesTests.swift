import Testing

@testable import SyncWire

/// Spaces and tabs go from both ends, as Foundation's `.whitespaces` trims; line breaks and the
/// text between stay.
@Suite struct SpacesTests {
    @Test(arguments: [
        ("  Kim  ", "Kim"), ("\tKim Lee\t", "Kim Lee"), ("\u{00A0}\u{2003}Zoë\u{3000}", "Zoë"), ("", ""), ("   ", ""),
        ("Kim\n", "Kim\n"), (" a \u{0301}", "a \u{0301}"),
    ])
    func trimming(text: String, expected: String) {
        #expect(text.trimmingSpaces == expected)
        #expect(text[...].trimmingSpaces == expected)
    }
}
