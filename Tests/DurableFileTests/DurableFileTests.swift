import DurableFile
import Foundation
import Testing

@Suite struct DurablePublishTests {
    /// Publishing inside a directory held open: an existing name is kept (a symlink included)
    /// unless replacing, and the temporary name never stays behind.
    @Test func publishInADirectoryKeepsOrReplacesAnExistingName() throws {
        let dir = NSTemporaryDirectory() + "talkvault-durable-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        func make(_ name: String, _ text: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/" + name)) }
        func read(_ name: String) -> String? { FileManager.default.contents(atPath: dir + "/" + name).map { String(decoding: $0, as: UTF8.self) } }

        try make(".t1", "first")
        #expect(try Durable.publish(temporary: ".t1", as: "f", inDirectory: fd, path: dir))
        try make(".t2", "second")
        #expect(try !Durable.publish(temporary: ".t2", as: "f", inDirectory: fd, path: dir))
        #expect(read("f") == "first")
        try make(".t3", "third")
        #expect(try Durable.publish(temporary: ".t3", as: "f", inDirectory: fd, path: dir, replacing: true))
        #expect(read("f") == "third")

        try make("target", "kept")
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: dir + "/target")
        try make(".t4", "fourth")
        #expect(try !Durable.publish(temporary: ".t4", as: "link", inDirectory: fd, path: dir))
        #expect(read("target") == "kept")

        #expect(throws: DurableFileError.self) { try Durable.publish(temporary: ".missing", as: "g", inDirectory: fd, path: dir) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["f", "link", "target"])
    }
}
