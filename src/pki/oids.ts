/** Object identifiers used by the PKI engine. */
export const OID = {
  // Attribute types (X.520 / RFC 4519)
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  country: '2.5.4.6',
  locality: '2.5.4.7',
  province: '2.5.4.8',
  streetAddress: '2.5.4.9',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  postalCode: '2.5.4.17',
  userId: '0.9.2342.19200300.100.1.1',
  emailAddress: '1.2.840.113549.1.9.1',
  // PKCS#9
  extensionRequest: '1.2.840.113549.1.9.14',
  // Extensions
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  deltaCrlIndicator: '2.5.29.27',
  nameConstraints: '2.5.29.30',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  // AIA access methods
  ocsp: '1.3.6.1.5.5.7.48.1',
  caIssuers: '1.3.6.1.5.5.7.48.2',
  // OCSP
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  // Policy qualifiers
  qtCps: '1.3.6.1.5.5.7.2.1',
  qtUnotice: '1.3.6.1.5.5.7.2.2',
  // Key algorithms
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
  ed25519: '1.3.101.112',
  p224: '1.3.132.0.33',
  p256: '1.2.840.10045.3.1.7',
  p384: '1.3.132.0.34',
  p521: '1.3.132.0.35',
  // Signature algorithms
  sha1WithRSA: '1.2.840.113549.1.1.5',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  ecdsaWithSHA1: '1.2.840.10045.4.1',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
  mgf1: '1.2.840.113549.1.1.8',
  // Hashes
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

/** Role `ext_key_usage` names (lower-cased) → OID, in the order Vault emits them. */
export const EXT_KEY_USAGES: ReadonlyArray<readonly [string, string]> = [
  ['any', '2.5.29.37.0'],
  ['serverauth', '1.3.6.1.5.5.7.3.1'],
  ['clientauth', '1.3.6.1.5.5.7.3.2'],
  ['codesigning', '1.3.6.1.5.5.7.3.3'],
  ['emailprotection', '1.3.6.1.5.5.7.3.4'],
  ['ipsecendsystem', '1.3.6.1.5.5.7.3.5'],
  ['ipsectunnel', '1.3.6.1.5.5.7.3.6'],
  ['ipsecuser', '1.3.6.1.5.5.7.3.7'],
  ['timestamping', '1.3.6.1.5.5.7.3.8'],
  ['ocspsigning', '1.3.6.1.5.5.7.3.9'],
  ['microsoftservergatedcrypto', '1.3.6.1.4.1.311.10.3.3'],
  ['netscapeservergatedcrypto', '2.16.840.1.113730.4.1'],
  ['microsoftcommercialcodesigning', '1.3.6.1.4.1.311.2.1.22'],
  ['microsoftkernelcodesigning', '1.3.6.1.4.1.311.61.1.1'],
];

/** KeyUsage bit positions (RFC 5280 4.2.1.3), keyed by Vault's lower-cased names. */
export const KEY_USAGE_BITS: Readonly<Record<string, number>> = {
  digitalsignature: 0,
  contentcommitment: 1,
  keyencipherment: 2,
  dataencipherment: 3,
  keyagreement: 4,
  certsign: 5,
  crlsign: 6,
  encipheronly: 7,
  decipheronly: 8,
};
