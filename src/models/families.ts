/**
 * Registers every model family (each family file calls `registerModel` when loaded), in the order `listModels`
 * reports them. Imported by the package's model index and by modules that build registered models by name.
 */
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
