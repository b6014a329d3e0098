import CLIKit
import Glibc

let tool = CommandLineTool(
    name: "boxoffice", version: BoxOffice.version, root: BoxOffice.self,
    globalOptions: BoxOffice.globalOptions, describe: Failure.describing)
exit(tool.run(Array(CommandLine.arguments.dropFirst())))
