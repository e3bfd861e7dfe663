"""The credential against the Open Badges 3.0 JSON schema, and the VC-JWT claim mapping.

The schema below is written here from 1EdTech's published schema for the AchievementCredential
(openbadges-specification, ``docs/schema/achievementcredential.json``; structure, types and
required properties of each class read at commit e0fdb03dfe8e710508d690ba6d612d0b913e3ac8) with
the VC Data Model 2.0 changes of its current form, as the Open Badges 3.0 specification states
them (document version 1.2, appendix B.1 "AchievementCredential", "AchievementSubject"): the
credential requires ``validFrom`` (no longer ``issuanceDate``), ``name`` is optional, and
``@context`` holds at least two items, the VC 2.0 context first and the OB 3.0 context second.
Where the published schema states a MUST only in a description (which types a ``type`` set must
contain, ``id`` or an ``identifier`` for the subject), the schema here checks it as well.
The claim mapping comes from the specification's section 8.2 "JSON Web Token Proof Format"
(``ob_v3p0/microsites/spec/integrity.md`` at a36a629faa347e5a55ce7357eee696bde14cd7f9).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import jsonschema
import jwt
import pytest

from learnapp.certificates import credentials
from learnapp.certificates.credentials import CredentialError

from .test_credentials import AWARD, ISSUER, keys_of, signed


def strings(*must_contain: str, any_of: tuple[str, ...] = ()) -> dict[str, Any]:
    """An IRI set: a non-empty array of strings containing each of ``must_contain``."""
    schema: dict[str, Any] = {"type": "array", "minItems": 1, "items": {"type": "string"}}
    musts = [{"contains": {"const": value}} for value in must_contain]
    if any_of:
        musts.append({"contains": {"enum": list(any_of)}})
    return schema | ({"allOf": musts} if musts else {})


URI = {"type": "string"}  # the published schema checks a URI's type only
DATETIMEZ = {"type": "string", "format": "date-time"}
TEXT = {"type": "string"}
EXTENSION = {"type": "string", "pattern": "(ext:)[a-z|A-Z|0-9|.|-|_]+"}

ACHIEVEMENT_CREDENTIAL_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2019-09/schema",
    "type": "object",
    "required": ["@context", "id", "type", "credentialSubject", "issuer", "validFrom"],
    "additionalProperties": True,
    "properties": {
        "@context": {
            "type": "array",
            "minItems": 2,
            "items": [
                {"const": "https://www.w3.org/ns/credentials/v2"},
                {
                    "type": "string",
                    "pattern": r"^https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d\.\d)*\.json$",
                },
            ],
            "additionalItems": {"$ref": "#/$defs/Context"},
        },
        "id": URI,
        "type": strings(
            "VerifiableCredential", any_of=("AchievementCredential", "OpenBadgeCredential")
        ),
        "name": TEXT,
        "description": TEXT,
        "credentialSubject": {"$ref": "#/$defs/AchievementSubject"},
        "issuer": {"$ref": "#/$defs/ProfileRef"},
        "validFrom": DATETIMEZ,
        "validUntil": DATETIMEZ,
        "awardedDate": DATETIMEZ,
        "credentialStatus": {"$ref": "#/$defs/CredentialStatus"},
        "proof": {"type": "array"},
    },
    "$defs": {
        "Context": {"anyOf": [{"type": "object"}, {"type": "string"}]},
        "ProfileRef": {"oneOf": [URI, {"$ref": "#/$defs/Profile"}]},
        "Profile": {
            "type": "object",
            "required": ["id", "type"],
            "properties": {"id": URI, "type": strings("Profile"), "name": TEXT, "url": URI},
            "additionalProperties": True,
        },
        "AchievementSubject": {
            "type": "object",
            "required": ["type", "achievement"],
            "anyOf": [
                {"required": ["id"]},
                {"required": ["identifier"], "properties": {"identifier": {"minItems": 1}}},
            ],
            "properties": {
                "id": URI,
                "type": strings("AchievementSubject"),
                "activityEndDate": DATETIMEZ,
                "activityStartDate": DATETIMEZ,
                "achievement": {"$ref": "#/$defs/Achievement"},
                "identifier": {"type": "array", "items": {"$ref": "#/$defs/IdentityObject"}},
                "result": {"type": "array", "items": {"$ref": "#/$defs/Result"}},
            },
            "additionalProperties": True,
        },
        "IdentityObject": {
            "type": "object",
            "required": ["type", "hashed", "identityHash", "identityType"],
            "properties": {
                "type": {"const": "IdentityObject"},
                "hashed": {"type": "boolean"},
                "identityHash": TEXT,
                "identityType": {
                    "anyOf": [
                        {
                            "enum": [
                                "name",
                                "sourcedId",
                                "systemId",
                                "productId",
                                "userName",
                                "accountId",
                                "emailAddress",
                                "nationalIdentityNumber",
                                "isbn",
                                "issn",
                                "lisSourcedId",
                                "oneRosterSourcedId",
                                "sisSourcedId",
                                "ltiContextId",
                                "ltiDeploymentId",
                                "ltiToolId",
                                "ltiPlatformId",
                                "ltiUserId",
                                "identifier",
                            ]
                        },
                        EXTENSION,
                    ]
                },
                "salt": TEXT,
            },
            "additionalProperties": False,
        },
        "Achievement": {
            "type": "object",
            "required": ["id", "type", "criteria", "description", "name"],
            "properties": {
                "id": URI,
                "type": strings("Achievement"),
                "achievementType": {
                    "anyOf": [
                        {
                            "enum": [
                                "Achievement",
                                "ApprenticeshipCertificate",
                                "Assessment",
                                "Assignment",
                                "AssociateDegree",
                                "Award",
                                "Badge",
                                "BachelorDegree",
                                "Certificate",
                                "CertificateOfCompletion",
                                "Certification",
                                "CommunityService",
                                "Competency",
                                "Course",
                                "CoCurricular",
                                "Degree",
                                "Diploma",
                                "DoctoralDegree",
                                "Fieldwork",
                                "GeneralEducationDevelopment",
                                "JourneymanCertificate",
                                "LearningProgram",
                                "License",
                                "Membership",
                                "ProfessionalDoctorate",
                                "QualityAssuranceCredential",
                                "MasterCertificate",
                                "MasterDegree",
                                "MicroCredential",
                                "ResearchDoctorate",
                                "SecondarySchoolDiploma",
                            ]
                        },
                        EXTENSION,
                    ]
                },
                "criteria": {
                    "type": "object",
                    "properties": {"id": URI, "narrative": TEXT},
                    "additionalProperties": True,
                },
                "description": TEXT,
                "name": TEXT,
                "tag": {"type": "array", "items": TEXT},
                "version": TEXT,
            },
            "additionalProperties": True,
        },
        "Result": {
            "type": "object",
            "required": ["type"],
            "properties": {"type": strings("Result"), "value": TEXT},
            "additionalProperties": True,
        },
        "CredentialStatus": {
            "type": "object",
            "required": ["id", "type"],
            "properties": {"id": URI, "type": TEXT},
            "additionalProperties": True,
        },
    },
}

VALIDATOR = jsonschema.Draft201909Validator(
    ACHIEVEMENT_CREDENTIAL_SCHEMA, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER
)


def errors(document: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(document)]


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The JOSE header and the payload, decoded without checking anything."""
    header, payload, _ = token.split(".")
    decode = lambda part: json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # noqa: E731
    return decode(header), decode(payload)


@pytest.fixture
def key(tmp_path):
    return credentials.load_or_create_key(tmp_path / "issuer.pem")


def test_the_schema_is_a_valid_draft_2019_09_schema_that_checks_dates():
    jsonschema.Draft201909Validator.check_schema(ACHIEVEMENT_CREDENTIAL_SCHEMA)
    credential = credentials.build_credential(ISSUER, AWARD)
    assert errors(credential | {"validFrom": "2026-13-01T00:00:00Z"})  # the format is checked


def test_the_signed_payload_is_an_achievement_credential(key):
    _, payload = parts(signed(key))
    assert errors(payload) == []
    assert payload["credentialSubject"]["id"] == AWARD.subject_id


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c.pop("validFrom"),
        lambda c: c.pop("credentialSubject"),
        lambda c: c.update({"@context": c["@context"][:1]}),
        lambda c: c.update({"type": ["VerifiableCredential"]}),
        lambda c: c["credentialSubject"].pop("id") and c["credentialSubject"].pop("identifier"),
        lambda c: c["credentialSubject"]["identifier"][0].update({"identityType": "nickname"}),
        lambda c: c["credentialSubject"]["achievement"].pop("criteria"),
    ],
)
def test_the_schema_refuses_what_the_specification_refuses(change):
    credential = credentials.build_credential(ISSUER, AWARD)
    change(credential)
    assert errors(credential)


def test_a_vc_1_1_token_payload_is_not_a_credential(key):
    """What tokens looked like before: the credential wrapped in a ``vc`` claim."""
    credential = credentials.build_credential(ISSUER, AWARD)
    old = {"vc": credential, "iss": ISSUER.id, "jti": credential["id"], "nbf": 0}
    assert errors(old)


def test_the_jose_header_and_claims_follow_the_vc_jwt_proof_format(key):
    token = signed(key)
    header, payload = parts(token)
    # Only alg, kid and typ: "Additional JOSE Headers are NOT allowed".
    assert header == {"alg": "EdDSA", "kid": keys_of(key)[0]["kid"], "typ": "JWT"}
    assert header["kid"].startswith(ISSUER.key_url_prefix)
    assert "vc" not in payload
    assert payload["iss"] == payload["issuer"]["id"] == ISSUER.id
    assert payload["sub"] == payload["credentialSubject"]["id"] == AWARD.subject_id
    assert payload["jti"] == payload["id"] == AWARD.credential_id
    valid_from = datetime.fromisoformat(payload["validFrom"])
    assert payload["nbf"] == int(valid_from.timestamp())
    assert "exp" not in payload  # no validUntil: certificates do not expire
    assert credentials.verify(token, keys_of(key)) == credentials.build_credential(ISSUER, AWARD)


def test_the_subject_id_names_nobody():
    subject_id = credentials.build_credential(ISSUER, AWARD)["credentialSubject"]["id"]
    assert subject_id.startswith("urn:uuid:")
    assert AWARD.name not in subject_id


def reclaimed(key, **changes: Any) -> str:
    """A token signed with our key whose claims were changed before signing."""
    _, payload = parts(signed(key))
    payload.update(changes)
    header = {"kid": keys_of(key)[0]["kid"], "typ": "JWT"}
    return jwt.encode(payload, key, algorithm="EdDSA", headers=header)


@pytest.mark.parametrize(
    "changes",
    [
        {"sub": "urn:uuid:00000000-0000-4000-8000-000000000000"},
        {"iss": "https://evil.example/issuer"},
        {"jti": "https://learn.example/certificates/other"},
        {"nbf": int(datetime(2020, 1, 1, tzinfo=UTC).timestamp())},
    ],
)
def test_claims_that_contradict_the_credential_are_refused(key, changes):
    with pytest.raises(CredentialError, match="do not match"):
        credentials.verify(reclaimed(key, **changes), keys_of(key))


def legacy_token(key) -> str:
    """A credential as issued before: ``vc`` claim, no ``sub``, the bare thumbprint as kid."""
    credential = credentials.build_credential(ISSUER, AWARD)
    claims = {"vc": credential, "iss": ISSUER.id, "jti": credential["id"], "nbf": 1796119205}
    kid = credentials.thumbprint(keys_of(key)[0])
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid, "typ": "JWT"})


def test_credentials_issued_in_the_vc_1_1_form_still_verify(key):
    credential = credentials.verify(legacy_token(key), keys_of(key))
    assert credential == credentials.build_credential(ISSUER, AWARD)
