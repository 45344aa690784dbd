import Foundation
import JSON
import TalkVaultDomain

/// The words a person would search for or read in a listing: the text of a text message; a
/// sticker's keywords and text; a location's title, address and lat,lon; a file's name.
/// Shared by the export's `text` column, `find`'s preview and the search index.
public enum MessageText {
    /// - Parameter eventJSON: the defining webhook event (stickers' keywords, locations' titles live there).
    public static func summary(kind: MessageKind, text: String?, fileName: String?, eventJSON: String) -> String {
        switch kind {
        case .text: return text ?? ""
        case .file: return fileName ?? ""
        case .sticker, .location:
            guard let event = try? JSONValue.parse(Data(eventJSON.utf8)), let message = event["message"] else { return "" }
            if kind == .sticker {
                var parts: [String] = []
                if case .array(let keywords)? = message["keywords"] { parts.append(keywords.compactMap(\.stringValue).joined(separator: " ")) }
                if let text = message["text"]?.stringValue { parts.append(text) }
                return parts.filter { !$0.isEmpty }.joined(separator: " / ")
            }
            let coordinates = [message["latitude"], message["longitude"]].compactMap { value -> String? in
                switch value {
                case .double(let v)?: return String(v)
                case .int(let v)?: return String(v)
                default: return nil
                }
            }
            return [message["title"]?.stringValue, message["address"]?.stringValue, coordinates.count == 2 ? coordinates.joined(separator: ",") : nil]
                .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " / ")
        default: return ""
        }
    }
}
