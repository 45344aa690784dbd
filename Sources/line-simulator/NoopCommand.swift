import ArgumentParser
import Foundation
import Hummingbird
import Logging

struct NoopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "noop",
        abstract: "Answer 200 to every POST /webhook and do nothing else.",
        discussion: "The HTTP server's own ceiling: benchmarks run the same load against it and against `talkvault serve`. The first stdout line is the base URL.")

    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind; 0 picks a free one.") var port = 0

    func run() async throws {
        let router = Router()
        // Read the body as the receiver does, so the baseline does the same network work.
        router.post("/webhook") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 1 << 20)
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "{}")))
        }
        var logger = Logger(label: "noop")
        logger.logLevel = .warning
        let host = self.host
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port)),
                              onServerRunning: { channel in
                                  FileHandle.standardOutput.write(Data("http://\(host):\(channel.localAddress?.port ?? 0)\n".utf8))
                              }, logger: logger)
        try await app.runService()
    }
}
