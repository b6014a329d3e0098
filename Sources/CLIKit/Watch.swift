#if canImport(Glibc)
    import Glibc
#endif

/// The size of the terminal a frame is drawn on.
public struct TerminalSize: Sendable, Equatable {
    public let rows: Int
    public let columns: Int

    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
    }
}

/// A command's text shown again and again, as `top` shows it: on a terminal each frame is drawn
/// over the last from the top left corner (no flicker: each line is written over, then the rest of
/// the screen cleared), each line cut to the terminal's width and the frame to its height, so that
/// nothing wraps or scrolls; into a pipe or a file the frames follow one another, each ended by a
/// blank line, with no control characters.
///
/// ```swift
/// Watch.run(every: 2, frames: nil) { size in "NODE  LAST PUSH\n…" }   // until Ctrl-C
/// ```
public enum Watch {
    /// Draws `frame(size)` every `seconds` (the time between draws, on the monotonic clock),
    /// `frames` times, or until the process is interrupted when nil. `size` is the terminal's, read
    /// before each frame (nil into a pipe, or when the terminal does not say), for a frame that
    /// chooses what to show in it.
    public static func run(every seconds: Double, frames: Int?, frame: (TerminalSize?) -> String) {
        let terminal = isatty(STDOUT_FILENO) == 1
        var drawn = 0
        while frames.map({ drawn < $0 }) ?? true {
            let size = terminal ? terminalSize() : nil
            let text = frame(size)
            Output.writeStandardOutput(terminal ? drawnOver(text, size: size) : text + "\n\n")
            drawn += 1
            if let frames, drawn >= frames { break }
            sleep(seconds: seconds)
        }
    }

    /// `text` as escape sequences that replace the screen: cursor home, each line written over the
    /// one there (erasing the rest of it), then everything below cleared. Each line is cut to the
    /// width in columns (``TerminalColumns``); lines past `rows - 1` are left out and counted on the
    /// last line.
    static func drawnOver(_ text: String, size: TerminalSize?) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let rows = size?.rows, rows > 1, lines.count > rows - 1 {
            let hidden = lines.count - (rows - 2)
            lines = Array(lines.prefix(rows - 2)) + ["… \(hidden) more lines: make the terminal taller"]
        }
        return "\u{1B}[H"
            + lines.map { line in
                // Cut by the columns the line takes (a CJK character takes two), never inside a
                // character. A line as wide as the screen leaves the cursor past its end, where
                // erasing the rest of the line would erase its last character.
                guard let columns = size?.columns else { return line + "\u{1B}[K" }
                let shown = line.prefix(terminalColumns: columns)
                return shown.terminalColumns < columns ? shown + "\u{1B}[K" : String(shown)
            }.joined(separator: "\n") + "\u{1B}[J"
    }

    /// The terminal's size from stdout (`TIOCGWINSZ`), else from `LINES` and `COLUMNS`, when
    /// either says.
    static func terminalSize() -> TerminalSize? {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0, size.ws_col > 0 {
            return TerminalSize(rows: Int(size.ws_row), columns: Int(size.ws_col))
        }
        func variable(_ name: String) -> Int? {
            getenv(name).flatMap { Int(String(cString: $0)) }.flatMap { $0 > 0 ? $0 : nil }
        }
        guard let rows = variable("LINES"), let columns = variable("COLUMNS") else { return nil }
        return TerminalSize(rows: rows, columns: columns)
    }

    private static func sleep(seconds: Double) {
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }
}
