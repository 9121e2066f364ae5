import { DefaultDocumentValidator } from 'langium';
export class BnasDocumentValidator extends DefaultDocumentValidator {}
