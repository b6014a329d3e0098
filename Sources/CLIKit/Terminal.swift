#if canImport(Glibc)
    import Glibc
#endif

/// Reading secrets from the terminal or a pipe.
public enum Terminal {
    /// A password from stdin: on a terminal, prompted on stderr with echo off; otherwise the
    /// first line of the input. Nil when stdin is closed or empty.
    public static func readSecret(prompt: String) -> String? {
        guard isatty(STDIN_FILENO) == 1 else { return readLine(strippingNewline: true) }
        Output.writeStandardError(prompt)
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            Output.writeStandardError("\n")
        }
        return readLine(strippingNewline: true)
    }
}
