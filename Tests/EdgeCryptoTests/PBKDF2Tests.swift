import EdgeCrypto
import Testing

/// PBKDF2-HMAC-SHA256: the RFC 6070 inputs with SHA-256 outputs as widely published, and
/// RFC 7914, section 11 (the PBKDF2-HMAC-SHA256 vectors of the scrypt RFC).
@Suite struct PBKDF2Tests {
    @Test(arguments: [
        ("password", "salt", 1, 32, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"),
        ("password", "salt", 2, 32, "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"),
        ("password", "salt", 4096, 32, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"),
        (
            "passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 40,
            "348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1c635518c7dac47e9"
        ),
        ("pass\0word", "sa\0lt", 4096, 16, "89b69d0516f829893c696226650a8687"),
        (
            "passwd", "salt", 1, 64,
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
        ),
        (
            "Password", "NaCl", 80000, 64,
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"
        ),
    ])
    func publishedVectors(password: String, salt: String, iterations: Int, length: Int, expected: String) throws {
        let key = try PBKDF2.deriveKey(
            password: Array(password.utf8), salt: Array(salt.utf8),
            iterations: iterations, keyByteCount: length)
        #expect(Hex.encode(key) == expected)
    }

    @Test func rejectsZeroIterationsAndEmptyKeys() {
        #expect(throws: PBKDF2.ParameterError.iterationsOutOfRange(0)) {
            try PBKDF2.deriveKey(password: [1], salt: [2], iterations: 0, keyByteCount: 32)
        }
        #expect(throws: PBKDF2.ParameterError.keyLengthOutOfRange(0)) {
            try PBKDF2.deriveKey(password: [1], salt: [2], iterations: 1, keyByteCount: 0)
        }
    }
}

@Suite struct PasswordHashTests {
    @Test func verifiesTheRightPasswordOnlyAndUsesTheDefaultWorkFactor() {
        let stored = PasswordHash.make(password: "correct horse")
        #expect(stored.hasPrefix("pbkdf2-sha256$210000$"))
        #expect(PasswordHash.verify(password: "correct horse", against: stored))
        #expect(!PasswordHash.verify(password: "correct horsE", against: stored))
        #expect(!PasswordHash.verify(password: "", against: stored))
    }

    @Test func saltsDiffer() {
        #expect(PasswordHash.make(password: "x", iterations: 1) != PasswordHash.make(password: "x", iterations: 1))
    }

    @Test(arguments: [
        "", "pbkdf2-sha256$0$00$00", "md5$1$00$" + String(repeating: "0", count: 64),
        "pbkdf2-sha256$1$zz$" + String(repeating: "0", count: 64), "pbkdf2-sha256$1$00$00",
    ])
    func malformedStoredHashesNeverVerify(stored: String) {
        #expect(!PasswordHash.verify(password: "", against: stored))
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2], [1, 2, 3]))
    }
}
