/** Model registry with every family registered: import this module (not the family files) to list or build models. */
export * from './registry';
import './squeezenet';
import './mobilenet-v1';
import './mobilenet-v2';
import './alexnet';
import './vgg';
import './googlenet';
import './resnet';
import './shufflenet-v1';
import './shufflenet-v2';
import './shiftnet';
import './as-resnet';
import './fe-net';
