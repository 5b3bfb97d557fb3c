// Codes the sign-in page turns into a sentence (?error=…); plain constants, safe for any bundle.
export const VERIFICATION_LINK_INVALID = 'VerificationLinkInvalid';
