"""What the OpenRosa endpoints do, without Flask: the forms a phone may fetch, their media, and a
submission handed to the one visit intake (app/visits/intake.py).

A submission is the instance XML plus any of its files. Collect splits a large one into several POSTs
(`*isIncomplete*`), each repeating the XML: every POST maps the XML to the same visit JSON, so intake's
idempotency finds the same visit and each POST adds the files it carries. The same instance again
changes nothing; a different instance under the same instanceID is intake's 409. An instance naming a
`deprecatedID` is an edit (see app/visits/edits.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.auth.principal import Principal
from app.errors import NotFound, UnknownForm
from app.forms.registry import FormRegistry
from app.openrosa import household_list
from app.openrosa.instance import Instance, form_of, parse_xml, read_instance, version_number
from app.openrosa.xform import XForm, xform_for
from app.visits import edits
from app.visits import intake as visits
from app.visits.attachments import attachments_of
from app.visits.models import Visit
from app.visits.schemas import load_visit
from app.visits.upload import ReceivedUpload


def phone_forms(principal: Principal, forms: FormRegistry) -> list[XForm]:
    """The XForms of the published forms the caller may submit (cadres: all of them)."""
    if not principal.can("visits.submit"):
        return []
    return [xform_for(form) for form in forms.list()]


def phone_form(principal: Principal, forms: FormRegistry, form_id: str) -> XForm:
    """One form's current XForm, or NotFound (also for a caller who may not submit it)."""
    for xform in phone_forms(principal, forms):
        if xform.form_id == form_id:
            return xform
    raise NotFound(form_id=form_id)


def media_file(principal: Principal, forms: FormRegistry, form_id: str, name: str) -> bytes:
    """A form's media file as the caller's phone gets it (the household list is per user)."""
    xform = phone_form(principal, forms, form_id)
    if name not in xform.media:
        raise NotFound(file=name)
    return household_list.household_csv(principal)


@dataclass(frozen=True)
class Received:
    visit: Visit
    changed: bool  # a new visit, or new files for it
    missing: list[str]  # required slots still to come (in a later POST of a split submission)
    instance: Instance


def receive_submission(
    intake: visits.Intake, principal: Principal, xml: bytes, parts: Mapping[str, ReceivedUpload]
) -> Received:
    """Take one submission POST: the instance XML and the files it carries, keyed by file name."""
    root = parse_xml(xml)
    form_id, version_string = form_of(root)
    try:
        form = intake.forms.get(form_id, version_number(version_string))
    except UnknownForm as err:
        raise UnknownForm(form_id=form_id, version=version_string) from err
    instance = read_instance(root, form, xform_for(form))
    data = load_visit(instance.visit)
    original = None
    if instance.deprecated_id and instance.deprecated_id != data["instance_id"]:
        original = edits.editable_original(principal, instance.deprecated_id, data["instance_id"])
    uploads = {slot: parts[name] for name, slot in instance.files.items() if name in parts}
    origin = {"source": "openrosa", "device_id": instance.device_id, "form_version": version_string}
    if original is not None:
        origin["supersedes"] = str(original.id)
    visit, changed = visits.submit(intake, principal, data, uploads, origin=origin)
    if original is not None:
        edits.supersede(principal, original, visit)
    if instance.audit_file and instance.audit_file in parts:
        stored = visits.attach_device_audit(intake, principal, str(visit.id), parts[instance.audit_file])
        changed = changed or stored
    visit.reload()
    missing = sorted(set(visit.expected_slots) - set(attachments_of(visit)))
    return Received(visit=visit, changed=changed, missing=missing, instance=instance)
