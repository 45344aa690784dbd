@testable import Console
import HTTPTypes
import Testing

/// Japanese first; English for `?lang=en` or a browser that prefers it; every word in both.
@Suite struct LanguageTests {
    @Test func acceptLanguageAndTheQueryChooseTheLanguage() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            #expect(try await browser.get("/login").lang == "ja")
            #expect(try await browser.get("/login", headers: [.acceptLanguage: "en-US,en;q=0.9"]).lang == "en")
            #expect(try await browser.get("/login", headers: [.acceptLanguage: "fr-FR,fr;q=0.9,en;q=0.5"]).lang == "en")
            #expect(try await browser.get("/login", headers: [.acceptLanguage: "ja,en;q=0.9"]).lang == "ja")
            #expect(try await browser.get("/login", headers: [.acceptLanguage: "en;q=0"]).lang == "ja")
            let english = try await browser.get("/login?lang=en")
            #expect(english.lang == "en")
            #expect(english.text.contains(ConsoleStrings.english["sign_in"]!))
            #expect(try await browser.get("/login?lang=xx").lang != "xx")
            // The choice is remembered.
            #expect(try await browser.get("/login").lang == "en")
            try await browser.signIn("ana")
            let home = try await browser.get("/?lang=ja")
            #expect(home.lang == "ja" && home.text.contains(ConsoleStrings.japanese["dashboard"]!))
        }
    }

    @Test func everyWordExistsInBothLanguages() {
        let english = Set(ConsoleStrings.english.keys), japanese = Set(ConsoleStrings.japanese.keys)
        #expect(english.subtracting(japanese).sorted() == [], "missing in Japanese")
        #expect(japanese.subtracting(english).sorted() == [], "missing in English")
        for (key, text) in ConsoleStrings.english where text.contains("%@") {
            #expect(text.components(separatedBy: "%@").count == ConsoleStrings.japanese[key]?.components(separatedBy: "%@").count,
                    "\(key): the same blanks in both")
        }
    }

    @Test func everyKeyATemplateUsesExists() {
        for (name, text) in Templates.all {
            for key in Reply.allMatches(#"\{\{[#^/]?t\.([a-z_]+)\}\}"#, in: text) {
                #expect(ConsoleStrings.english[key] != nil, "\(name) uses t.\(key)")
            }
        }
    }
}
