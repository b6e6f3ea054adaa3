// The acl provider object as this module's whole export (see provider-object.ts for why).
import { makeProviderObject } from "./provider-object";

export = makeProviderObject("acl");
