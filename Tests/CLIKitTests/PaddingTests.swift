import CLIKit
import Testing

@Suite struct PaddingTests {
    @Test func padsToTheWidthAndLeavesLongerTextAlone() {
        #expect("UP".padded(to: 5) == "UP   ")
        #expect("OUT_OF_SERVICE".padded(to: 5) == "OUT_OF_SERVICE")
        #expect("Zoë".padded(to: 4) == "Zoë ")
    }
}
