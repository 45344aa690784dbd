import CSVText
import Testing

@Suite struct CSVTests {
    @Test(arguments: [
        ("plain", "plain"), ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""), ("two\nlines", "\"two\nlines\""),
        ("cr\rhere", "\"cr\rhere\""), ("crlf\r\nhere", "\"crlf\r\nhere\""), ("=SUM(A1)", "'=SUM(A1)"), ("+81 90", "'+81 90"),
        ("-1", "'-1"), ("@cmd", "'@cmd"), ("\tTab", "'\tTab"), ("\rX", "\"'\rX\""), ("=a,b", "\"'=a,b\""), ("日本語 😀", "日本語 😀"),
    ])
    func fieldsAreQuotedAndGuarded(_ input: String, _ expected: String) {
        #expect(CSVFormat().field(input) == expected)
    }

    @Test func theGuardCanBeSwitchedOff() {
        #expect(CSVFormat(guardFormulas: false).field("=1+1") == "=1+1")
        #expect(CSVFormat().line(["a", "b"]) == "a,b\r\n")
    }

    @Test func longDigitStringsAreWrittenSoSpreadsheetsKeepEveryDigit() {
        #expect(CSVFormat().field("568790102345678901") == "\"=\"\"568790102345678901\"\"\"")
        #expect(CSVFormat().field("123456789012345") == "123456789012345")      // 15 digits: a number keeps them all
        #expect(CSVFormat().field("5687901023456789a") == "5687901023456789a")
        #expect(CSVFormat().field("-568790102345678901") == "'-568790102345678901")
        #expect(CSVFormat(longNumbersAsText: false).field("568790102345678901") == "568790102345678901")
    }
}
