/** The provider profile form and its conversion into the profile document published on IPFS. */
import { METADATA_VERSION, type ProviderProfile, providerProfileSchema } from "@d-cloudx/sdk/metadata";

import { fieldMessage } from "./issues.ts";

export interface ProfileForm {
  displayName: string;
  website: string;
  contact: string;
  logo: string;
  description: string;
}

export type ProfileErrors = Partial<Record<keyof ProfileForm, string>>;

export const emptyProfileForm: ProfileForm = { displayName: "", website: "", contact: "", logo: "", description: "" };

/** The profile document (empty optional fields left out), checked by the shared schema. */
export function checkProfile(
  form: ProfileForm,
): { ok: true; value: ProviderProfile } | { ok: false; errors: ProfileErrors } {
  const optional = (key: Exclude<keyof ProfileForm, "displayName">) =>
    form[key].trim() ? { [key]: form[key].trim() } : {};
  const document = {
    version: METADATA_VERSION,
    displayName: form.displayName.trim(),
    ...optional("website"),
    ...optional("contact"),
    ...optional("logo"),
    ...optional("description"),
  };
  const result = providerProfileSchema.safeParse(document, { error: (issue) => fieldMessage(issue) });
  if (result.success) return { ok: true, value: result.data };
  const errors: ProfileErrors = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0]) as keyof ProfileForm;
    errors[field] ??= issue.message;
  }
  return { ok: false, errors };
}

export function profileForm(profile: ProviderProfile): ProfileForm {
  return {
    displayName: profile.displayName,
    website: profile.website ?? "",
    contact: profile.contact ?? "",
    logo: profile.logo ?? "",
    description: profile.description ?? "",
  };
}
