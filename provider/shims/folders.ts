// The FolderSet provider object as this module's whole export (see ../shim.ts for why).
import { makeProvider } from "../shim";

export = makeProvider("folders");
