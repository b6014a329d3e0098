#if canImport(Glibc)
    import Glibc
#endif

/// A command's text shown again and again, as `top` shows it: on a terminal each frame is drawn
/// over the last from the top left corner (no flicker: each line is written over, then the rest of
/// the screen cleared), cut to the terminal's height; into a pipe or a file the frames follow one
/// another, each ended by a blank line, with no control characters.
///
/// ```swift
/// Watch.run(every: 2, frames: nil) { "NODE  LAST PUSH\n…" }   // until Ctrl-C
/// ```
public enum Watch {
    /// Draws `frame()` every `seconds` (the time between draws, on the monotonic clock), `frames`
    /// times, or until the process is interrupted when nil.
    public static func run(every seconds: Double, frames: Int?, frame: () -> String) {
        let terminal = isatty(STDOUT_FILENO) == 1
        var drawn = 0
        while frames.map({ drawn < $0 }) ?? true {
            let text = frame()
            Output.writeStandardOutput(terminal ? drawnOver(text, rows: rows()) : text + "\n\n")
            drawn += 1
            if let frames, drawn >= frames { break }
            sleep(seconds: seconds)
        }
    }

    /// `text` as escape sequences that replace the screen: cursor home, each line written over the
    /// one there (erasing the rest of it), then everything below cleared. Lines past `rows - 1`
    /// are left out and counted on the last line.
    static func drawnOver(_ text: String, rows: Int?) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let rows, rows > 1, lines.count > rows - 1 {
            let hidden = lines.count - (rows - 2)
            lines = Array(lines.prefix(rows - 2)) + ["… \(hidden) more lines: make the terminal taller"]
        }
        return "\u{1B}[H" + lines.map { $0 + "\u{1B}[K" }.joined(separator: "\n") + "\u{1B}[J"
    }

    /// The terminal's height in lines, when stdout is one that says.
    static func rows() -> Int? {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0 else { return nil }
        return Int(size.ws_row)
    }

    private static func sleep(seconds: Double) {
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }
}
